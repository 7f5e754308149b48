-- screen: no query filters transactions by sanctions_status (review reads
-- screening_matches, the report groups whole days), and this index cost a
-- third of a bulk write's time (`make bench`: 212k -> 327k rows per CPU-second
-- into SQLite).
DROP INDEX transactions_by_status;
