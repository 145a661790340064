// a deposit nonce not minted here: null
>> {"jsonrpc":"2.0","id":1,"method":"flock_bridgeDeposit","params":["0x0"]}
<< {"jsonrpc":"2.0","id":1,"result":null}
