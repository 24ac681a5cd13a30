"""Paper sign-ups typed in from the sheets, and the numbered sheets themselves.

What a row means and how it is added is signatories/paper.py's; these pages
only show the forms and the summary.
"""

import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import FileResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from letters.admin.base import letter_page, refuse_names_after_delivery, tool_context
from letters.models import PaperSheet
from letters.paper_sheet import render_paper_sheets
from letters.services.sheets import MAX_SHEETS_AT_ONCE, paper_sheets_issue
from signatories.paper import (
    PaperRowFormSet,
    PaperSheetForm,
    Row,
    Summary,
    check_rows,
    import_rows,
)
from teams.admin import TeamScopedAdmin


class PaperSheetsForm(forms.Form):
    count = forms.IntegerField(
        label="How many sheets",
        min_value=1,
        max_value=MAX_SHEETS_AT_ONCE,
        initial=5,
        help_text="Each page gets its own sheet ID; type it in with the names.",
    )


def typed_rows(formset):
    """The rows typed in (blank ones ignored), numbered as on the page, and the ticks."""
    rows, ticks = [], {"add_anyway": set(), "keep_capitals": set()}
    for number, form in enumerate(formset.forms, start=1):
        if form.has_changed() and form.cleaned_data.get("name"):
            rows.append(Row(line=number, data=form.entry()))
            for tick in ticks:
                if form.cleaned_data.get(tick):
                    ticks[tick].add(number)
    return rows, ticks


class PaperPages:
    """LetterAdmin's pages for paper: type in sign-ups, print sheets."""

    @letter_page("add signatures")
    def paper_entry_view(self, request, letter):
        """Type in a stack of paper forms, check them beside the letter, then add them."""
        if refused := refuse_names_after_delivery(request, letter):
            return refused
        sheet_form = PaperSheetForm(request.POST or None)
        formset = PaperRowFormSet(request.POST or None, prefix="rows")
        checked, status = {}, 200
        if request.method == "POST":
            if sheet_form.is_valid() and formset.is_valid():
                rows, ticks = typed_rows(formset)
                sheet = sheet_form.cleaned_data["paper_sheet"]
                if "confirm" in request.POST:
                    summary = import_rows(letter=letter, rows=rows, paper_sheet=sheet, **ticks)
                    messages.success(request, f"Paper sign-ups: {summary}.")
                    return redirect("admin:letters_letter_paper", letter.pk)
                checked = {c.row.line: c for c in check_rows(letter=letter, rows=rows, **ticks)}
            else:
                status = 400
        lines = [(form, checked.get(number)) for number, form in enumerate(formset.forms, start=1)]
        return TemplateResponse(
            request,
            "admin/letters/letter/paper_entry.html",
            tool_context(
                self,
                request,
                letter,
                title=f"Type in paper sign-ups: {letter}",
                sheet_form=sheet_form,
                formset=formset,
                lines=lines,
                checked=bool(checked),
                summary=Summary.of(checked.values()) if checked else None,
            ),
            status=status,
        )

    @letter_page("add signatures")
    def paper_sheets_view(self, request, letter):
        """Number a batch of sheets and print them, one page each."""
        if refused := refuse_names_after_delivery(request, letter):
            return refused
        form = PaperSheetsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            sheets = paper_sheets_issue(
                letter=letter, count=form.cleaned_data["count"], printed_by=request.user
            )
            buffer = io.BytesIO()
            sign_url = f"{settings.SITE_URL}{letter.get_absolute_url()}#sign"
            render_paper_sheets(letter, sheets, sign_url, buffer)
            buffer.seek(0)
            name = f"{letter.slug}-sheets-{sheets[0].code}-to-{sheets[-1].code}.pdf"
            return FileResponse(
                buffer, as_attachment=True, filename=name, content_type="application/pdf"
            )
        return TemplateResponse(
            request,
            "admin/letters/letter/paper_sheets.html",
            tool_context(
                self,
                request,
                letter,
                title=f"Print paper sign-up sheets: {letter}",
                form=form,
                printed=letter.paper_sheets.count(),
            ),
            status=400 if request.method == "POST" else 200,
        )


@admin.register(PaperSheet)
class PaperSheetAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["code", "letter", "printed_at", "printed_by"]
    list_filter = [("letter", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["letter", "printed_by"]
    readonly_fields = ["letter", "number", "printed_at", "printed_by"]

    def has_add_permission(self, request):
        return False  # sheets are numbered by printing them from the letter's page
