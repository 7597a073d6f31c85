"""The knowledge base (SOP 15): articles of three types through draft → in_review →
published → retired, each publish a new readable version, linked to incidents, problems
and changes."""
