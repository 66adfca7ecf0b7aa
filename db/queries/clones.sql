-- SPDX-License-Identifier: Apache-2.0
-- Secure-element identities (certificate fingerprint or public key) seen on
-- more than one unit: cloned or re-used parts.
SELECT coalesce(i.spki_sha256, i.fingerprint) AS key_or_cert,
	count(DISTINCT r.unit_serial) AS units, group_concat(DISTINCT r.unit_serial) AS serials
FROM identities i JOIN runs r ON r.id = i.run_id
WHERE r.unit_serial IS NOT NULL
GROUP BY coalesce(i.spki_sha256, i.fingerprint)
HAVING count(DISTINCT r.unit_serial) > 1;
