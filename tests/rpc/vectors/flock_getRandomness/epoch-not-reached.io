// an epoch the chain has not reached: null
>> {"jsonrpc":"2.0","id":1,"method":"flock_getRandomness","params":["0x64"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
