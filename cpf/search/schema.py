"""The tantivy schema of the catalogue index: one document per training action (a place, a
price, a modality) with the text of its training, its certification and the jobs it leads to.

Keyword fields (title, certification, jobs, provider, sector) hold the stems of
``cpf.search.text.analyze``, computed in Python, split on spaces by tantivy. The description is
long, so it is analysed by tantivy itself (folded words, no stemming); a search looks it up with
the inflected forms of each word (``text.surface_forms``).
"""

from __future__ import annotations

import tantivy

# Bump when the schema or the analysis changes: an index of another version is rebuilt.
SCHEMA_VERSION = 7

KEYWORD_TOKENIZER = "cpf_stems"
FOLDED_TOKENIZER = "cpf_folded"

# Keyword fields, searched with the stems of the query.
TITLE = "title"
CERTIFICATION = "certification"
JOBS = "jobs"
PROVIDER = "provider"
SECTOR = "sector"
KEYWORD_FIELDS = (TITLE, CERTIFICATION, JOBS, PROVIDER, SECTOR)
# Free text, searched with inflected forms.
BODY = "body"
# Every stem of the keyword fields together: which offers hold a word is one posting list to read
# instead of one per field (the matching of the facet counts; ranking scores field by field).
WORDS = "words"
# The themes of the offer's certification (``cpf.search.themes``): kinds of action, languages,
# topics and software, as raw codes ("permis-b", "anglais", "sap").
THEMES = "themes"


def keyword_analyzer() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def folded_analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def register_tokenizers(index: tantivy.Index) -> None:
    """Tokenizers are not stored in the index: register them on every opening."""
    index.register_tokenizer(KEYWORD_TOKENIZER, keyword_analyzer())
    index.register_tokenizer(FOLDED_TOKENIZER, folded_analyzer())


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # Identity: deletions by action, training or provider.
    builder.add_unsigned_field("action_id", stored=True, indexed=True, fast=True)
    builder.add_unsigned_field("training_id", indexed=True, fast=True)
    builder.add_unsigned_field("provider_id", indexed=True, fast=True)
    # Text. Frequencies but no positions: no phrase query, a smaller index.
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, tokenizer_name=KEYWORD_TOKENIZER, index_option="freq")
    builder.add_text_field(BODY, tokenizer_name=FOLDED_TOKENIZER, index_option="basic")
    builder.add_text_field(WORDS, tokenizer_name=KEYWORD_TOKENIZER, index_option="basic")
    # Codes, as raw terms.
    builder.add_text_field("certification_code", tokenizer_name="raw", index_option="basic", fast=True)
    # The codes the certification replaced (any number of steps back): typing an old code finds
    # its successor.
    builder.add_text_field("former_codes", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("job_codes", tokenizer_name="raw", index_option="basic")
    builder.add_text_field(THEMES, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("insee", tokenizer_name="raw", index_option="basic", fast=True)
    builder.add_text_field("modality", tokenizer_name="raw", index_option="basic", fast=True)
    # Filters and facets.
    builder.add_unsigned_field("level", indexed=True, fast=True)
    builder.add_unsigned_field("price_cents", indexed=True, fast=True)
    builder.add_unsigned_field("duration_hours", indexed=True, fast=True)
    builder.add_integer_field("starts", indexed=True, fast=True)  # days since 1970-01-01
    builder.add_integer_field("last_start", indexed=True, fast=True)
    builder.add_unsigned_field("complete", indexed=True)
    # Ranking and sorting: a tie-breaker drawn from the action id and the index's seed.
    builder.add_float_field("tiebreak", fast=True)
    builder.add_unsigned_field("price_key", fast=True)
    builder.add_unsigned_field("date_key", fast=True)
    # What a result card shows, so that a search never reads PostgreSQL.
    builder.add_bytes_field("payload", stored=True)
    return builder.build()
