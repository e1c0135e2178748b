package signinguard

import (
	"container/list"
	"time"
)

// lru maps keys to a time after which the entry means nothing (a cool-down's
// end, a full bucket). It holds at most max entries: past that, it drops the
// least recently written one, after the entries whose time has passed.
type lru[K comparable] struct {
	max   int
	order *list.List // of *entry[K], most recently written first
	items map[K]*list.Element
}

type entry[K comparable] struct {
	key   K
	until time.Time
}

func newLRU[K comparable](max int) *lru[K] {
	return &lru[K]{max: max, order: list.New(), items: map[K]*list.Element{}}
}

func (c *lru[K]) get(k K) (time.Time, bool) {
	if e, ok := c.items[k]; ok {
		return e.Value.(*entry[K]).until, true
	}
	return time.Time{}, false
}

// put sets k's time and makes it the most recent entry, first dropping the
// oldest entries whose time is past now, then, if still full, the oldest one.
func (c *lru[K]) put(k K, until, now time.Time) {
	if e, ok := c.items[k]; ok {
		e.Value.(*entry[K]).until = until
		c.order.MoveToFront(e)
		return
	}
	for c.order.Len() > 0 {
		oldest := c.order.Back()
		if c.order.Len() < c.max && oldest.Value.(*entry[K]).until.After(now) {
			break
		}
		c.remove(oldest)
	}
	c.items[k] = c.order.PushFront(&entry[K]{key: k, until: until})
}

func (c *lru[K]) delete(k K) {
	if e, ok := c.items[k]; ok {
		c.remove(e)
	}
}

func (c *lru[K]) remove(e *list.Element) {
	delete(c.items, e.Value.(*entry[K]).key)
	c.order.Remove(e)
}

func (c *lru[K]) len() int { return c.order.Len() }
