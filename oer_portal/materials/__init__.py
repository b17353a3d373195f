"""Materials: versions, attachments, history, diff, import/export."""
