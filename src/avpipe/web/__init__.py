"""The web app of ``avpipe serve``: chunked uploads, the media library and the asset pages."""
