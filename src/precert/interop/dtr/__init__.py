"""Da Vinci DTR 2.0.1: the chronic-pain documentation Questionnaire and its answers."""

# The canonical URL and version of the documentation Questionnaire: CRD's coverage-information
# names it, $questionnaire-package returns it, PAS's supportingInfo answers it.
QUESTIONNAIRE_URL = "http://precert.example.org/fhir/Questionnaire/chronic-pain-documentation"
QUESTIONNAIRE_VERSION = "1.0.0"
