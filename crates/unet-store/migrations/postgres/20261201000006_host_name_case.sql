-- Host names compare case-insensitively (RFC 4343): nodes now store name, domain and fqdn in
-- lower case, so `CORE-1` and `core-1` are one name. Stored rows are lower-cased here, except
-- the nodes whose names differ only in case from another node's: lower-casing them would
-- collide on the unique fqdn, and choosing which of the two to keep is the operator's call.
-- Those keep their spelling (the store logs them, `unet-server migrate` lists them) until one
-- of each pair is renamed or deleted. Revisions and history stay as they are: a host name in
-- another case is the same name.
UPDATE nodes SET name = LOWER(name), domain = LOWER(domain), fqdn = LOWER(fqdn)
WHERE fqdn <> LOWER(fqdn)
  AND LOWER(fqdn) IN (SELECT LOWER(fqdn) FROM nodes GROUP BY LOWER(fqdn) HAVING COUNT(*) = 1);
