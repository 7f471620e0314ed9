"""The phone web client: a mobile-first, installable page served by the Flask service.

`views.bp` serves `/` (take or choose a photo, send it, see the result), `/hospitals` (the hospital
finder), `/history` and `/history/summary` (checks kept on the phone, in IndexedDB: docs/history.md),
`/manifest.webmanifest`, `/sw.js` (app-shell service worker), its static files under
`/static/web/` and Leaflet from the installed `xstatic-leaflet` package under `/vendor/leaflet/`.
Plain JavaScript, no build step; Korean and English strings live in `i18n.json`.
"""
