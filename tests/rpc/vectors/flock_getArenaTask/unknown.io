// an Arena task that does not exist: null
>> {"jsonrpc":"2.0","id":1,"method":"flock_getArenaTask","params":["0x0"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
