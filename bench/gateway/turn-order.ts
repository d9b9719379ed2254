/** The order contenders take their turns in the benches' interleaved rounds. */

/**
 * The turn order of a round. Each contender's predecessor changes from round to round: round r
 * starts at contender r mod n and steps through the list by the next step coprime with n (1, 2,
 * …), so a contender's predecessor differs from round to round. A client still busy
 * with its predecessor's garbage (an SSE answer leaves more than a JSON one) or a CPU cooling after
 * it otherwise favours or penalises the same column every round: in a fixed order fedmcp always
 * ran right after the baseline.
 */
export function inTurn<T>(list: T[], round: number): T[] {
  const count = list.length;
  if (count < 2) return [...list];
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const steps = Array.from({ length: count - 1 }, (_, index) => index + 1).filter(
    (step) => gcd(step, count) === 1,
  );
  const step = steps[round % steps.length] as number;
  return list.map((_, index) => list[(round + index * step) % count] as T);
}
