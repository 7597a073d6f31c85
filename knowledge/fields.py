"""The stored search vector of an article: a PostgreSQL ``tsvector`` (full-text search with
ranking, GIN-indexed by migration 0002), and on any other database a plain text column that
stays empty, where search matches words instead (knowledge.search)."""

from django.contrib.postgres.search import SearchVectorField


class SearchVectorOrTextField(SearchVectorField):
    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"
