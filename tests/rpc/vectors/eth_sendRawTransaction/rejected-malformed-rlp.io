// refused with -32003 naming the reason: bytes that are not a transaction
>> {"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02c3010203"]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"MalformedTransaction: EIP-1559 transaction must be an RLP list of 12 fields","data":{"reason":"MalformedTransaction"}}}
