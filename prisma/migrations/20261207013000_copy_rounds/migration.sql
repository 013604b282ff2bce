-- AlterEnum
ALTER TYPE "RoundKind" ADD VALUE 'copy';

-- AlterTable
ALTER TABLE "Round" ADD COLUMN     "leaderNickname" TEXT,
ADD COLUMN     "leaderPose" JSONB;
