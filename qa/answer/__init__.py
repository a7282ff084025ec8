"""Answering: a question (with the conversation's history) and the retrieved chunks in, an Answer with citations out.

chain.ask() / ask_stream() run the stages: make a follow-up standalone and keep it to the documents the previous
answer cited (followup), retrieve passages (qa.retrieve), gate — refuse when the passages cannot answer
(chain.gate, verify.refusal_reason), and for a near miss say what the documents do hold (refusal) —, generate a
text with [n] markers, then verify it (verify: markers point at given sources, each citation quotes its source,
figures and names occur in what they cite) into a qa.records.Answer.

A generator is anything with the Generator protocol of generate.py: `name`, `generate(question, sources)` and
`stream(question, sources)`. The default is the offline ExtractiveGenerator (extractive), built from:

- question: what is asked — Intent (figure and unit, duration, date, list, metadata field, one answer per
  document), the time asked about (now or plan), content terms, parts of a many-part question;
- select: sentences of the sources scored against the question (content words, answer type, time frame, role in
  the reply, and meaning through similar), the one to lead with;
- roles: a sentence's role in the reply (the bureau's measures or plan, the proposer's complaint or own words, an
  enumerated item, a decision on an ask);
- subject / qualifier: whether a figure's passage is about the question's subject, and whether its sentence
  states the words that narrow what is counted (a sub-group, a town, an institution) — else a near miss; groups
  and sums hold the checks of groups, kinds and table rows, and of totals asked as one unit's or one year's;
- similar: the index's embedder comparing the question with the best candidate sentences (vectors cached);
- metadata: answers from the documents' DocMeta (文号, proposers, 经办人, 答复类别 …), with text fallbacks;
- compose: the picked sentences trimmed, cited and arranged (据《source》, grouped by document, numbered lists);
- lexicon: the word lists they share, loaded from the tables in qa/data.

generate.OpenAIGenerator answers through an OpenAI-compatible endpoint instead: the same gate decides whether to
answer, its context is the passages of the best sentences, and its text is fact-checked against them.
"""
