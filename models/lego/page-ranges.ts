// Ranges of pages with something in common (file-backed, resident before the trial): few, so a
// list is enough.

export class PageRanges {
  private ranges: [number, number][] = [];

  add(first: number, count: number): void {
    this.ranges.push([first, first + count]);
  }

  has(page: number): boolean {
    for (const [a, b] of this.ranges) if (page >= a && page < b) return true;
    return false;
  }
}
