"""Ingest: a file in, Documents out (one per reply), each with its metadata and section tree, then Chunks.

Modules, in pipeline order: read (bytes → raw text for .txt .md .html .pdf .docx, encoding detection, the checks
that refuse empty, binary, corrupt or oversized files), clean (page-break rejoin, page numbers, TOC, spacing),
structure (split a file into replies; DocMeta; the section tree), split (sections → Chunks with breadcrumbs).
"""
