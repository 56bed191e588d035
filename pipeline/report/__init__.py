"""Reports for reviewers and notices for submitters, made from what the store recorded."""
