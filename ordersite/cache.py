"""Django's Redis cache with one redis-py client per connection pool.

Django's ``RedisCache`` builds a new ``redis.Redis`` client for every cache call;
each build copies redis-py's table of response callbacks (about 170 entries).
On a cached status page that was a tenth of the whole request. A client is
only a thin, thread-safe front to its connection pool, so one per pool serves
every call; pools and connections are unchanged (and redis-py still opens new
connections after a fork).
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class _OneClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _OneClientPerPool
