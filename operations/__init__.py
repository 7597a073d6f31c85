"""One operation path for every governed entity (incidents, problems, changes, knowledge
articles, post-incident reviews): lock the row through the actor's visibility, authorize,
check the expected version and the state, validate, save, write the audit trail — in one
transaction (path.py); and the rules of input every entity's services share (inputs.py).

It sits above ``core`` and ``audit`` (it writes the trail) and below every entity app.
"""
