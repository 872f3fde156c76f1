"""Da Vinci DTR 2.0.1: the chronic-pain documentation Questionnaire and its answers."""
