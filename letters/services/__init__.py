"""Writes about letters, one module per meaning: the lifecycle (open, close, deliver),
paper sheets, and updates to signatories. Import from the module that holds the rule.
"""
