"""Cross-cutting pieces every feature uses: unit of work, errors, database set-up, i18n."""
