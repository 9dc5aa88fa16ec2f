-- Schema version 4: the size of each Data's content, for the stored-bytes metric.

-- Total bytes of the regular files of the Data, recorded when its content is complete (an upload
-- received, an output sealed). NULL while it is being written, and for Data stored before version 4.
ALTER TABLE data ADD COLUMN size_bytes bigint;
