"""Small pieces every domain uses: field types, the actor, validation helpers."""
