"""The staff side's home: the dashboard and the administrators' pages for places."""
