// an unknown subscription: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newBlocks"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: unknown subscription 'newBlocks': newHeads, logs or newPendingTransactions"}}
