from app.sessions import check_session, end_session, issue_session


class MemoryStore(dict):
    def put(self, key, value):
        self[key] = value

    def delete(self, key):
        self.pop(key, None)


def test_a_session_can_be_checked_and_ended():
    store = MemoryStore()
    token = issue_session(store, "u1")
    assert check_session(store, token) == "u1"
    end_session(store, token)
    assert check_session(store, token) is None
