"""Large answers in pages: Request/Option ``PageSize`` (default 1000, at most 10000) and
``After`` (the cursor a previous page returned); a page with more to follow is PARTIAL with
Error 0.1 and a ``Reply/ID`` of idType ``NextPage`` holding the cursor to send back."""

from __future__ import annotations

from cas.messages import (
    ErrorCode,
    ErrorLevel,
    MessageError,
    ParsedRequest,
    ResultType,
)
from generated import message as mes

DEFAULT_PAGE = 1000
MAX_PAGE = 10000
OPTION_XPATH = "/mes:RequestMessage/mes:Request/mes:Option"


def page_options(request: ParsedRequest) -> tuple[int, int]:
    """(PageSize, After); refused with 1.8 when they are not whole numbers in range."""
    size_text = request.request.option("PageSize")
    after_text = request.request.option("After")
    size = DEFAULT_PAGE
    if size_text is not None:
        if not size_text.strip().isdigit() or not 1 <= int(size_text) <= MAX_PAGE:
            raise _refused(request, f"Option PageSize must be 1..{MAX_PAGE}, got {size_text!r}")
        size = int(size_text)
    after = 0
    if after_text is not None:
        if not after_text.strip().isdigit():
            raise _refused(request, f"Option After must be a whole number, got {after_text!r}")
        after = int(after_text)
    return size, after


def mark_page(response: mes.ResponseMessage, cursor: int | str, what: str) -> None:
    """Say that more ``what`` follow after this page (an OK result becomes PARTIAL)."""
    if response.reply.result is ResultType.OK:
        response.reply.result = ResultType.PARTIAL
    response.reply.error.append(
        mes.ErrorType(
            code=ErrorCode.PARTIAL_RESULT_MORE_TO_FOLLOW.code,
            level=mes.ErrorLevelType(ErrorLevel.INFORM.value),
            reason=f"more {what} follow",
        )
    )
    response.reply.id.append(mes.IdType(value=str(cursor), id_type="NextPage"))


def _refused(request: ParsedRequest, reason: str) -> MessageError:
    return MessageError(
        ErrorCode.SCHEMA_VALIDATION_FAILED,
        reason,
        xpath=OPTION_XPATH,
        soap_version=request.soap_version,
        header=request.header,
    )


__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "mark_page", "page_options"]
