// no subscriptions over HTTP: false
>> {"jsonrpc":"2.0","id":1,"method":"chain_unsubscribeNewHeads","params":["0xcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"]}
<< {"jsonrpc":"2.0","id":1,"result":false}
