// no Arena task yet: an empty list
>> {"jsonrpc":"2.0","id":1,"method":"flock_listArenaTasks"}
<< {"jsonrpc":"2.0","id":1,"result":[]}
