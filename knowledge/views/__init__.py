"""The knowledge base in the browser: search and list, the article page, the review queue,
the editor, and the KB actions of the incident page. Views read through knowledge.selectors
and write through knowledge.services, exactly as the API does; a refusal is shown beside
the form it came from."""
