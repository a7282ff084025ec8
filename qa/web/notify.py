"""The pop-up notices the page shows beside a result: a warning when something was refused, else information."""

from __future__ import annotations

import gradio as gr


def warn(message: str) -> None:
    gr.Warning(message, title="提示")


def info(message: str) -> None:
    gr.Info(message, title="提示")
