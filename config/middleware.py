"""The Content-Security-Policy header, on pages only."""

from csp.middleware import CSPMiddleware


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, but only for documents a browser renders with scripts and styles
    (HTML and SVG): a PDF, a workbook or a JSON answer gains nothing from the header, and a PDF
    viewer may refuse to open under ``object-src 'none'``."""

    RENDERED = ("text/html", "image/svg+xml")

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "")
        if not content_type.startswith(self.RENDERED):
            return response
        return super().process_response(request, response)
