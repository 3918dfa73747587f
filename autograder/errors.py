"""What can go wrong with a submission, as one exception the report understands."""
from __future__ import annotations


class SubmissionError(Exception):
    """The submitted code failed in a way that costs the current item.

    ``kind`` is one of: "missing", "import", "not_implemented", "raised",
    "exit", "timeout", "crashed", "protocol", "harness".
    """

    def __init__(self, kind: str, message: str, *, exc_type: str = "", where: str = "", call: str = ""):
        self.kind, self.message, self.exc_type, self.where, self.call = kind, message, exc_type, where, call
        super().__init__(self.student_message())

    def student_message(self, held_out: bool = False) -> str:
        """What the report shows; for a held-out (hidden) item, without the text of the student's own
        exception, which could carry the held-out inputs it received."""
        at = f" (at {self.where})" if self.where else ""
        if held_out and self.kind == "not_implemented":
            return f"not implemented: {self.call or 'your code'} raised NotImplementedError{at}."
        if held_out and self.kind in ("raised", "exit"):
            return f"{self.call or 'your code'} raised {self.exc_type or 'an exception'}{at} on held-out inputs."
        if held_out and self.kind in ("import", "protocol", "harness"):  # their text may carry what the code saw
            what = {"import": "the file failed to import", "protocol": "it sent back something the grader cannot "
                    "read", "harness": "the grader failed"}[self.kind]
            return f"{self.call or 'your code'}: {what} on held-out inputs (details are not shown for held-out work)."
        call = self.call or "your code"
        if self.kind == "missing":
            return f"{self.message}: this assignment is missing and scores 0."
        if self.kind == "import":
            return f"the file does not import: {self.exc_type}: {self.message}{at}. Fix it, then run the grader again."
        if self.kind == "not_implemented":
            todo = f" ({self.message})" if self.message else ""
            return f"not implemented: {call} raised NotImplementedError{todo}{at}."
        if self.kind == "raised":
            return f"{call} raised {self.exc_type}: {self.message}{at}."
        if self.kind == "exit":
            return f"{call}: {self.message}; graded code must return, not exit."
        if self.kind == "timeout":
            return f"{call} did not finish within {self.message}: look for an endless loop or very slow code."
        if self.kind == "crashed":
            return f"the process running your code died during {call} ({self.message}): did it exit, crash or run out of memory?"
        if self.kind == "protocol":
            return f"{call} sent back something the grader cannot read ({self.message})."
        return f"grader error during {call}: {self.message}"
