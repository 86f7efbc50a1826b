"""Services for the narrated demos that need more than one version of their code (`fix-demo`)."""
