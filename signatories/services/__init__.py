"""Writes about signatures, one module per meaning (as the HackSoft styleguide and Zulip's
actions split them): signing, links in mails, moderation, organisers' entries, retention.
Import from the module that holds the rule: `from signatories.services.signing import ...`.
"""
