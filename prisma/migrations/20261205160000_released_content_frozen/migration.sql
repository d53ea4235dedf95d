-- Frozen means frozen, even for SQL (issue 13 F8). The triggers of the init migration freeze a
-- released version's membership (version_examples) and its own row (dataset_versions); these
-- freeze what that membership points at and how it came to be:
--   * an example that is a member of a RELEASED version: no UPDATE, no DELETE (its text, payload
--     and content hash are what the release hash covers);
--   * the interventions of a RELEASED version, and their reviews: no UPDATE, no DELETE (the
--     release applies its interventions before it marks the version RELEASED, so that still works);
--   * releases: no UPDATE, no DELETE at all (a release is only ever created).
-- New draft versions copy memberships (INSERT into version_examples of the draft) and never touch
-- the examples themselves, so they are unaffected. A superuser can still disable a trigger; the
-- export recomputes every hash and refuses content that no longer matches its release.

CREATE FUNCTION examples_frozen_when_released() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid;
BEGIN
  SELECT ve.version_id INTO v_id FROM "version_examples" ve JOIN "dataset_versions" v ON v.id = ve.version_id
   WHERE ve.example_id = OLD.id AND v.status = 'RELEASED' LIMIT 1;
  IF v_id IS NOT NULL THEN
    RAISE EXCEPTION 'example % belongs to released dataset version % and can no longer change (% refused: released content is frozen)', OLD.id, v_id, TG_OP
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER examples_frozen BEFORE UPDATE OR DELETE ON "examples"
  FOR EACH ROW EXECUTE FUNCTION examples_frozen_when_released();

CREATE FUNCTION interventions_frozen_when_released() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "dataset_versions" WHERE id = OLD.version_id AND status = 'RELEASED') THEN
    RAISE EXCEPTION 'intervention % belongs to released dataset version % and can no longer change (% refused: released content is frozen)', OLD.id, OLD.version_id, TG_OP
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER interventions_frozen BEFORE UPDATE OR DELETE ON "interventions"
  FOR EACH ROW EXECUTE FUNCTION interventions_frozen_when_released();

CREATE FUNCTION reviews_frozen_when_released() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_id uuid;
BEGIN
  SELECT v.id INTO v_id FROM "interventions" i JOIN "dataset_versions" v ON v.id = i.version_id
   WHERE i.id = OLD.intervention_id AND v.status = 'RELEASED';
  IF v_id IS NOT NULL THEN
    RAISE EXCEPTION 'review % belongs to released dataset version % and can no longer change (% refused: released content is frozen)', OLD.id, v_id, TG_OP
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER reviews_frozen BEFORE UPDATE OR DELETE ON "reviews"
  FOR EACH ROW EXECUTE FUNCTION reviews_frozen_when_released();

CREATE FUNCTION releases_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'release % can no longer change (% refused: releases are immutable)', OLD.id, TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER releases_immutable BEFORE UPDATE OR DELETE ON "releases"
  FOR EACH ROW EXECUTE FUNCTION releases_immutable();
