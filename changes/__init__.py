"""Change coordination (SOP 10): change requests of three types through pending → approved |
rejected, approved → implemented → closed, with the CAB bypass of an emergency change and
its retrospective approval; their links to incidents (the fix, or the cause) and what an
incident shows of the changes on its service and the services it depends on."""
