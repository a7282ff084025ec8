"""Drafting a reply to a new 提案/建议 from the bureau's past replies.

In: what the user typed (title, body, proposers, kind, meeting, number) or a handling list's rows, a retriever
over the indexed archive, optionally an OpenAI-compatible generator and the agency profile from Settings.
Out: a qa.records.Draft (the clean official text, its sections with the passages each paragraph rests on, the
ranked precedents, what is left to fill in or check, and sentences whose figures no passage holds), written as
.docx, .md or plain text; for a handling list, its register entries drafted in one batch.

Modules, each importing only those listed before it:

- proposal: the user's input as a Proposal (make_proposal, normalize_kind) and the asks it makes (group_asks).
- precedent: past replies ranked against the proposal (find_precedents) and the sentences that answer each ask
  (select_evidence).
- profile: who is replying (Profile: agency, home district, contacts; placeholders where not configured).
- sources: what a Draft rests on (its cited passages, their quoted spans, one 依据 line each).
- docx: a Draft in 公文 layout as a .docx, with the 依据 on a page of their own.
- llm: the body written by an LLM from the same asks and passages (an LLMDraft; `failure` says why none came).
- compose: the whole reply (draft_reply): offline extracts or the LLM's body in the official frame, every figure
  checked; render_markdown and write_draft for output.
- handling: a handling list (交办清单: .xlsx, .csv or a pasted table) read into rows for the register, columns
  mapped by qa/data/handling_columns.tsv, dates normalised, proposal texts read from the attached files.
- batch: every open proposal of the register (qa.store) drafted from precedent, resumable, one .docx each plus a
  zip, and the placeholders each draft still needs.

Word lists (ask verbs, kind aliases, committees, …) are tables in qa/data with a reason per entry.
"""
