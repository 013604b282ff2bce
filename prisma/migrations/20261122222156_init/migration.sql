-- CreateEnum
CREATE TYPE "RoundKind" AS ENUM ('pose', 'hand', 'head');

-- CreateEnum
CREATE TYPE "Grade" AS ENUM ('perfect', 'good', 'miss');

-- CreateTable
CREATE TABLE "Match" (
    "id" UUID NOT NULL,
    "roomCode" TEXT NOT NULL,
    "playlist" JSONB NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Match_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MatchPlayer" (
    "id" UUID NOT NULL,
    "matchId" UUID NOT NULL,
    "playerId" TEXT NOT NULL,
    "nickname" TEXT NOT NULL,
    "finalScore" INTEGER NOT NULL,
    "rank" INTEGER NOT NULL,
    "wasSpectator" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "MatchPlayer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Round" (
    "id" UUID NOT NULL,
    "matchId" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "kind" "RoundKind" NOT NULL,
    "targetId" TEXT NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Round_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoundResult" (
    "id" UUID NOT NULL,
    "roundId" UUID NOT NULL,
    "matchPlayerId" UUID NOT NULL,
    "points" INTEGER NOT NULL,
    "grade" "Grade" NOT NULL,
    "bestSimilarity" DOUBLE PRECISION NOT NULL,
    "reactionMs" INTEGER,

    CONSTRAINT "RoundResult_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Match_endedAt_idx" ON "Match"("endedAt" DESC);

-- CreateIndex
CREATE INDEX "Match_roomCode_idx" ON "Match"("roomCode");

-- CreateIndex
CREATE INDEX "MatchPlayer_matchId_rank_idx" ON "MatchPlayer"("matchId", "rank");

-- CreateIndex
CREATE UNIQUE INDEX "MatchPlayer_matchId_playerId_key" ON "MatchPlayer"("matchId", "playerId");

-- CreateIndex
CREATE UNIQUE INDEX "Round_matchId_index_key" ON "Round"("matchId", "index");

-- CreateIndex
CREATE INDEX "RoundResult_matchPlayerId_idx" ON "RoundResult"("matchPlayerId");

-- CreateIndex
CREATE UNIQUE INDEX "RoundResult_roundId_matchPlayerId_key" ON "RoundResult"("roundId", "matchPlayerId");

-- AddForeignKey
ALTER TABLE "MatchPlayer" ADD CONSTRAINT "MatchPlayer_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Round" ADD CONSTRAINT "Round_matchId_fkey" FOREIGN KEY ("matchId") REFERENCES "Match"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoundResult" ADD CONSTRAINT "RoundResult_roundId_fkey" FOREIGN KEY ("roundId") REFERENCES "Round"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoundResult" ADD CONSTRAINT "RoundResult_matchPlayerId_fkey" FOREIGN KEY ("matchPlayerId") REFERENCES "MatchPlayer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
