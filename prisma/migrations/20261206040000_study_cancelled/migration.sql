-- A study can be cancelled (issue 15): cancelStudy moves a QUEUED or RUNNING study to CANCELLED,
-- after which its worker's progress, finish and fail are refused (they need RUNNING under the
-- worker's claim), so the worker stops and the status stays CANCELLED.

-- AlterEnum
ALTER TYPE "StudyStatus" ADD VALUE 'CANCELLED';
