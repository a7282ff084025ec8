"""Ingest: a file in, Documents out (one per reply), each with its metadata and section tree, then Chunks.

Modules, in pipeline order: read (bytes → raw text for .txt .md .html .pdf .docx .png .jpg, encoding detection,
the checks that refuse empty, binary, corrupt or oversized files; PDF pages kept as form feeds, .docx heading
styles as marks; webpage reads HTML, ocr scans and images), clean (page-break rejoin, page numbers, TOC, spacing, web
residue), normalize (a same-length matching copy: simplified characters, full-width punctuation), heading (reply
headings in all their forms; where one reply ends and the next begins), cues (the places a reply states its
metadata: info table, heading, salutation, acknowledgement sentence, signature, contact lines), meta (one value
per DocMeta field from the most trusted cue, recorded in DocMeta.cues), structure (split a file into replies; the
section tree), split (sections → Chunks with breadcrumbs and the page each starts on).
"""
