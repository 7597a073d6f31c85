"""Post-incident reviews (SOP 14): a blameless review of a high-priority or recurring
incident — timeline, contributing factors, root cause, lessons, KB links and action items
with owners and due dates — drafted and completed by an incident manager; overdue action
items chased once each."""
