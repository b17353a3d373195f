"""Change proposals: a teacher proposes an edit to another teacher's published material."""
