"""JSON:API for every `/api` route: media types, query parsing, documents, rendering, errors."""
from chalicelib.jsonapi.document import ParsedResource, parse_resource
from chalicelib.jsonapi.errors import error_response
from chalicelib.jsonapi.media import JSONAPI, check_media
from chalicelib.jsonapi.query import ListQuery, parse_list_query, parse_page_query, parse_show_query
from chalicelib.jsonapi.render import Resource, page_meta_and_links, render_list, render_one

__all__ = [
    "JSONAPI", "ListQuery", "ParsedResource", "Resource", "check_media", "error_response", "page_meta_and_links",
    "parse_list_query", "parse_page_query", "parse_resource", "parse_show_query", "render_list", "render_one",
]
