"""Answering: a question (with the conversation's history) and the retrieved chunks in, an Answer with citations out.

chain.ask() / ask_stream() run the stages: condense a follow-up into a standalone question (chain), retrieve
passages (qa.retrieve), gate — refuse when the passages cannot answer (chain.gate, verify.refusal_reason) —,
generate a text with [n] markers, then verify it (verify: markers point at given sources, each citation quotes
its source, figures and names occur in what they cite) into a qa.records.Answer.

A generator is anything with the Generator protocol of generate.py: `name`, `generate(question, sources)` and
`stream(question, sources)`. The default is the offline ExtractiveGenerator (extractive), built from:

- question: what is asked — Intent (figure and unit, date, list, metadata field, one answer per document),
  content terms, parts of a many-part question;
- select: sentences of the sources scored against the question, the one to lead with;
- metadata: answers from the documents' DocMeta (文号, 提案人, 经办人 …);
- compose: the picked sentences trimmed, labelled and cited;
- lexicon: the word lists they share, loaded from the tables in qa/data.

generate.OpenAIGenerator answers through an OpenAI-compatible endpoint instead; its text is fact-checked.
"""
