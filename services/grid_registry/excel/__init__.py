"""Excel in and out: templates, checked imports and re-importable exports of the registry's lists."""
