"""Importing paper sign-ups from a CSV file: upload, see every row checked, then confirm."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from letters.admin.base import letter_page, refuse_names_after_delivery, tool_context
from signatories.paper import (
    MAX_CSV_BYTES,
    PaperSheetForm,
    Summary,
    check_rows,
    import_rows,
    parse_csv,
)
from teams.access import may_see_contacts
from teams.models import LookedAt
from teams.services import contact_view_record


class CsvUploadForm(PaperSheetForm):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, organisation, email, kind (individual or organisation), "
        "updates (yes or no; y/n, 1/0 and x work too). Only name is needed. "
        "UTF-8 (Excel: “CSV UTF-8”), "
        f"at most {MAX_CSV_BYTES // 1024 // 1024} MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_CSV_BYTES // 1024 // 1024} MB. Split it into smaller files."
            )
        return upload


# A file up to this many rows is listed whole; a bigger one lists the rows that need a
# look (refused, likely already there, in capitals, confirming an online signature).
LIST_WHOLE_UP_TO = 500
LIST_AT_MOST = 1000


def needs_a_look(each):
    return (
        each.outcome != "ready"
        or each.duplicate_of
        or each.duplicate_line
        or each.in_capitals
        or each.confirms_web_signature
    )


def rows_to_show(checked):
    """(the rows the preview lists, how many ready rows it leaves out)."""
    if len(checked) <= LIST_WHOLE_UP_TO:
        return checked, 0
    shown = [each for each in checked if needs_a_look(each)][:LIST_AT_MOST]
    return shown, len(checked) - len(shown)


def ticked_lines(request, name):
    """The line numbers an organiser ticked in the preview (add anyway, keep capitals)."""
    return {int(value) for value in request.POST.getlist(name) if value.isdigit()}


class ImportPages:
    """LetterAdmin's CSV import page."""

    @letter_page("add signatures")
    def csv_import_view(self, request, letter):
        """Upload a CSV, see every row checked, then confirm; the file waits in the session."""
        if refused := refuse_names_after_delivery(request, letter):
            return refused
        session_key = f"paper-import-{letter.pk}"
        context = {"title": f"Import paper sign-ups from CSV: {letter}"}
        status = 200

        if request.method == "POST" and "confirm" in request.POST:
            pending = request.session.pop(session_key, None)
            if pending is None:
                messages.error(request, "Nothing to import: upload the file again.")
                return redirect("admin:letters_letter_import", letter.pk)
            parsed = parse_csv(pending["content"].encode(), max_bytes=MAX_CSV_BYTES)
            summary = import_rows(
                letter=letter,
                rows=parsed.rows,
                paper_sheet=pending["paper_sheet"],
                add_anyway=ticked_lines(request, "add_anyway"),
                keep_capitals=ticked_lines(request, "keep_capitals"),
            )
            messages.success(request, f"Imported “{pending['filename']}”: {summary}.")
            return redirect("admin:letters_letter_change", letter.pk)

        form = CsvUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data["file"].read()
                parsed = parse_csv(data, max_bytes=MAX_CSV_BYTES)
                context["parsed"] = parsed
                context["checked"] = checked = check_rows(letter=letter, rows=parsed.rows)
                context["summary"] = summary = Summary.of(checked)
                context["shown"], context["not_shown"] = rows_to_show(checked)
                if may_see_contacts(request.user, letter.campaign_id):
                    contact_view_record(
                        user=request.user,
                        letter=letter,
                        what=LookedAt.IMPORT_PREVIEW,
                        addresses=sum(1 for row in parsed.rows if row.data.get("email")),
                    )
                if parsed.errors or not parsed.valid_rows:
                    status = 400
                else:
                    request.session[session_key] = {
                        "filename": form.cleaned_data["file"].name,
                        "content": data.decode("utf-8-sig"),
                        "paper_sheet": form.cleaned_data["paper_sheet"],
                    }
                    context["ready"] = len(parsed.valid_rows)
            else:
                status = 400
        context["form"] = form
        return TemplateResponse(
            request,
            "admin/letters/letter/paper_import.html",
            tool_context(self, request, letter, **context),
            status=status,
        )
